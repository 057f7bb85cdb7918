/*
 * asan_first.c
 *		Preloaded next to the ASan runtime (test/sanitize/run.sh), with the
 *		linker's -z initfirst: initialises AddressSanitizer before any other
 *		library constructor runs.
 *
 * The postgres binary is not instrumented, so the runtime comes in by
 * LD_PRELOAD, and then its own constructor runs after those of the
 * libraries postgres links (initialisation goes in dependency order).
 * libgnutls (pulled in by libldap) and libp11-kit allocate in their
 * constructors while holding glibc's locale locks; the first malloc then
 * initialises ASan lazily, which takes the same locks: every postgres
 * process hangs at start.  An INITFIRST object is initialised before all
 * others, so calling __asan_init here puts ASan's start where a linked-in
 * runtime (-fsanitize=address on the executable) would put it.
 */
extern void __asan_init(void);

static void asan_first(void) __attribute__((constructor));

/* Initialise ASan before every other constructor. */
static void
asan_first(void)
{
	__asan_init();
}
