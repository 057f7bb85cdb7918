#!/bin/bash
# Start / stop a throwaway ClickHouse 18.16 server (Debian clickhouse-server)
# with its own config, data dir and ports under a temporary directory.
#   source test/reference/clickhouse/ch_server.sh; ch_start; ch_query "SELECT 1"; ch_stop
# CH_DIR (default /tmp/crm_ch.$$) and CH_PORT (default 55890; http +1, interserver +2).
CH_DIR=${CH_DIR:-/tmp/crm_ch.$$}
CH_PORT=${CH_PORT:-55890}

ch_start() {
	mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/log"
	cat > "$CH_DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level>
        <log>$CH_DIR/log/server.log</log><errorlog>$CH_DIR/log/server.err.log</errorlog></logger>
    <tcp_port>$CH_PORT</tcp_port>
    <http_port>$((CH_PORT + 1))</http_port>
    <interserver_http_port>$((CH_PORT + 2))</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <users_config>/etc/clickhouse-server/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>536870912</mark_cache_size>
</yandex>
XML
	clickhouse-server --config-file="$CH_DIR/config.xml" --pid-file="$CH_DIR/server.pid" >"$CH_DIR/log/stdout" 2>&1 &
	CH_PID=$!
	for _ in $(seq 1 60); do
		clickhouse-client --port "$CH_PORT" --query "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "clickhouse-server did not start; see $CH_DIR/log" >&2
	return 1
}

ch_query() {
	clickhouse-client --port "$CH_PORT" "$@"
}

ch_stop() {
	[ -n "$CH_PID" ] && kill "$CH_PID" 2>/dev/null && wait "$CH_PID" 2>/dev/null
	rm -rf "$CH_DIR"
}
