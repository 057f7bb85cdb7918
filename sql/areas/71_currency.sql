-- ====================================================================
-- Multi-currency: ISO 4217 currencies, dated exchange rates, the corporate
-- currency, exact conversion and the freeze-at-close trigger
-- (src/currency.c, src/core/performance/bignum.c)
-- ====================================================================

-- ISO 4217 currencies with their minor units (decimal places).  Shipped
-- rows: the active codes of ISO 4217 as listed by Debian's iso-codes 4.15
-- (names and numeric codes), minor units from the ISO 4217 table; the codes
-- without minor units (precious metals, bond units, XDR, XTS, XXX) are left
-- out.  Add a currency of your own with origin 'user' (pg_dump keeps it).
CREATE TABLE currency (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
	numeric_code integer CHECK (numeric_code BETWEEN 0 AND 999),
	minor_units integer NOT NULL CHECK (minor_units BETWEEN 0 AND 18),
	name		text NOT NULL,
	origin		text NOT NULL DEFAULT 'user' CHECK (origin IN ('extension', 'user'))
);
COMMENT ON TABLE currency IS 'crm_sales: ISO 4217 currencies and their minor units (decimal places of amounts)';

INSERT INTO currency (code, numeric_code, minor_units, name, origin) VALUES
	('AED', 784, 2, 'UAE Dirham', 'extension'),
	('AFN', 971, 2, 'Afghani', 'extension'),
	('ALL', 8, 2, 'Lek', 'extension'),
	('AMD', 51, 2, 'Armenian Dram', 'extension'),
	('ANG', 532, 2, 'Netherlands Antillean Guilder', 'extension'),
	('AOA', 973, 2, 'Kwanza', 'extension'),
	('ARS', 32, 2, 'Argentine Peso', 'extension'),
	('AUD', 36, 2, 'Australian Dollar', 'extension'),
	('AWG', 533, 2, 'Aruban Florin', 'extension'),
	('AZN', 944, 2, 'Azerbaijan Manat', 'extension'),
	('BAM', 977, 2, 'Convertible Mark', 'extension'),
	('BBD', 52, 2, 'Barbados Dollar', 'extension'),
	('BDT', 50, 2, 'Taka', 'extension'),
	('BGN', 975, 2, 'Bulgarian Lev', 'extension'),
	('BHD', 48, 3, 'Bahraini Dinar', 'extension'),
	('BIF', 108, 0, 'Burundi Franc', 'extension'),
	('BMD', 60, 2, 'Bermudian Dollar', 'extension'),
	('BND', 96, 2, 'Brunei Dollar', 'extension'),
	('BOB', 68, 2, 'Boliviano', 'extension'),
	('BOV', 984, 2, 'Mvdol', 'extension'),
	('BRL', 986, 2, 'Brazilian Real', 'extension'),
	('BSD', 44, 2, 'Bahamian Dollar', 'extension'),
	('BTN', 64, 2, 'Ngultrum', 'extension'),
	('BWP', 72, 2, 'Pula', 'extension'),
	('BYN', 933, 2, 'Belarusian Ruble', 'extension'),
	('BZD', 84, 2, 'Belize Dollar', 'extension'),
	('CAD', 124, 2, 'Canadian Dollar', 'extension'),
	('CDF', 976, 2, 'Congolese Franc', 'extension'),
	('CHE', 947, 2, 'WIR Euro', 'extension'),
	('CHF', 756, 2, 'Swiss Franc', 'extension'),
	('CHW', 948, 2, 'WIR Franc', 'extension'),
	('CLF', 990, 4, 'Unidad de Fomento', 'extension'),
	('CLP', 152, 0, 'Chilean Peso', 'extension'),
	('CNY', 156, 2, 'Yuan Renminbi', 'extension'),
	('COP', 170, 2, 'Colombian Peso', 'extension'),
	('COU', 970, 2, 'Unidad de Valor Real', 'extension'),
	('CRC', 188, 2, 'Costa Rican Colon', 'extension'),
	('CUC', 931, 2, 'Peso Convertible', 'extension'),
	('CUP', 192, 2, 'Cuban Peso', 'extension'),
	('CVE', 132, 2, 'Cabo Verde Escudo', 'extension'),
	('CZK', 203, 2, 'Czech Koruna', 'extension'),
	('DJF', 262, 0, 'Djibouti Franc', 'extension'),
	('DKK', 208, 2, 'Danish Krone', 'extension'),
	('DOP', 214, 2, 'Dominican Peso', 'extension'),
	('DZD', 12, 2, 'Algerian Dinar', 'extension'),
	('EGP', 818, 2, 'Egyptian Pound', 'extension'),
	('ERN', 232, 2, 'Nakfa', 'extension'),
	('ETB', 230, 2, 'Ethiopian Birr', 'extension'),
	('EUR', 978, 2, 'Euro', 'extension'),
	('FJD', 242, 2, 'Fiji Dollar', 'extension'),
	('FKP', 238, 2, 'Falkland Islands Pound', 'extension'),
	('GBP', 826, 2, 'Pound Sterling', 'extension'),
	('GEL', 981, 2, 'Lari', 'extension'),
	('GHS', 936, 2, 'Ghana Cedi', 'extension'),
	('GIP', 292, 2, 'Gibraltar Pound', 'extension'),
	('GMD', 270, 2, 'Dalasi', 'extension'),
	('GNF', 324, 0, 'Guinean Franc', 'extension'),
	('GTQ', 320, 2, 'Quetzal', 'extension'),
	('GYD', 328, 2, 'Guyana Dollar', 'extension'),
	('HKD', 344, 2, 'Hong Kong Dollar', 'extension'),
	('HNL', 340, 2, 'Lempira', 'extension'),
	('HRK', 191, 2, 'Kuna', 'extension'),
	('HTG', 332, 2, 'Gourde', 'extension'),
	('HUF', 348, 2, 'Forint', 'extension'),
	('IDR', 360, 2, 'Rupiah', 'extension'),
	('ILS', 376, 2, 'New Israeli Sheqel', 'extension'),
	('INR', 356, 2, 'Indian Rupee', 'extension'),
	('IQD', 368, 3, 'Iraqi Dinar', 'extension'),
	('IRR', 364, 2, 'Iranian Rial', 'extension'),
	('ISK', 352, 0, 'Iceland Krona', 'extension'),
	('JMD', 388, 2, 'Jamaican Dollar', 'extension'),
	('JOD', 400, 3, 'Jordanian Dinar', 'extension'),
	('JPY', 392, 0, 'Yen', 'extension'),
	('KES', 404, 2, 'Kenyan Shilling', 'extension'),
	('KGS', 417, 2, 'Som', 'extension'),
	('KHR', 116, 2, 'Riel', 'extension'),
	('KMF', 174, 0, 'Comorian Franc', 'extension'),
	('KPW', 408, 2, 'North Korean Won', 'extension'),
	('KRW', 410, 0, 'Won', 'extension'),
	('KWD', 414, 3, 'Kuwaiti Dinar', 'extension'),
	('KYD', 136, 2, 'Cayman Islands Dollar', 'extension'),
	('KZT', 398, 2, 'Tenge', 'extension'),
	('LAK', 418, 2, 'Lao Kip', 'extension'),
	('LBP', 422, 2, 'Lebanese Pound', 'extension'),
	('LKR', 144, 2, 'Sri Lanka Rupee', 'extension'),
	('LRD', 430, 2, 'Liberian Dollar', 'extension'),
	('LSL', 426, 2, 'Loti', 'extension'),
	('LYD', 434, 3, 'Libyan Dinar', 'extension'),
	('MAD', 504, 2, 'Moroccan Dirham', 'extension'),
	('MDL', 498, 2, 'Moldovan Leu', 'extension'),
	('MGA', 969, 2, 'Malagasy Ariary', 'extension'),
	('MKD', 807, 2, 'Denar', 'extension'),
	('MMK', 104, 2, 'Kyat', 'extension'),
	('MNT', 496, 2, 'Tugrik', 'extension'),
	('MOP', 446, 2, 'Pataca', 'extension'),
	('MRU', 929, 2, 'Ouguiya', 'extension'),
	('MUR', 480, 2, 'Mauritius Rupee', 'extension'),
	('MVR', 462, 2, 'Rufiyaa', 'extension'),
	('MWK', 454, 2, 'Malawi Kwacha', 'extension'),
	('MXN', 484, 2, 'Mexican Peso', 'extension'),
	('MXV', 979, 2, 'Mexican Unidad de Inversion (UDI)', 'extension'),
	('MYR', 458, 2, 'Malaysian Ringgit', 'extension'),
	('MZN', 943, 2, 'Mozambique Metical', 'extension'),
	('NAD', 516, 2, 'Namibia Dollar', 'extension'),
	('NGN', 566, 2, 'Naira', 'extension'),
	('NIO', 558, 2, 'Cordoba Oro', 'extension'),
	('NOK', 578, 2, 'Norwegian Krone', 'extension'),
	('NPR', 524, 2, 'Nepalese Rupee', 'extension'),
	('NZD', 554, 2, 'New Zealand Dollar', 'extension'),
	('OMR', 512, 3, 'Rial Omani', 'extension'),
	('PAB', 590, 2, 'Balboa', 'extension'),
	('PEN', 604, 2, 'Sol', 'extension'),
	('PGK', 598, 2, 'Kina', 'extension'),
	('PHP', 608, 2, 'Philippine Peso', 'extension'),
	('PKR', 586, 2, 'Pakistan Rupee', 'extension'),
	('PLN', 985, 2, 'Zloty', 'extension'),
	('PYG', 600, 0, 'Guarani', 'extension'),
	('QAR', 634, 2, 'Qatari Rial', 'extension'),
	('RON', 946, 2, 'Romanian Leu', 'extension'),
	('RSD', 941, 2, 'Serbian Dinar', 'extension'),
	('RUB', 643, 2, 'Russian Ruble', 'extension'),
	('RWF', 646, 0, 'Rwanda Franc', 'extension'),
	('SAR', 682, 2, 'Saudi Riyal', 'extension'),
	('SBD', 90, 2, 'Solomon Islands Dollar', 'extension'),
	('SCR', 690, 2, 'Seychelles Rupee', 'extension'),
	('SDG', 938, 2, 'Sudanese Pound', 'extension'),
	('SEK', 752, 2, 'Swedish Krona', 'extension'),
	('SGD', 702, 2, 'Singapore Dollar', 'extension'),
	('SHP', 654, 2, 'Saint Helena Pound', 'extension'),
	('SLE', 925, 2, 'Leone', 'extension'),
	('SLL', 694, 2, 'Leone', 'extension'),
	('SOS', 706, 2, 'Somali Shilling', 'extension'),
	('SRD', 968, 2, 'Surinam Dollar', 'extension'),
	('SSP', 728, 2, 'South Sudanese Pound', 'extension'),
	('STN', 930, 2, 'Dobra', 'extension'),
	('SVC', 222, 2, 'El Salvador Colon', 'extension'),
	('SYP', 760, 2, 'Syrian Pound', 'extension'),
	('SZL', 748, 2, 'Lilangeni', 'extension'),
	('THB', 764, 2, 'Baht', 'extension'),
	('TJS', 972, 2, 'Somoni', 'extension'),
	('TMT', 934, 2, 'Turkmenistan New Manat', 'extension'),
	('TND', 788, 3, 'Tunisian Dinar', 'extension'),
	('TOP', 776, 2, 'Pa’anga', 'extension'),
	('TRY', 949, 2, 'Turkish Lira', 'extension'),
	('TTD', 780, 2, 'Trinidad and Tobago Dollar', 'extension'),
	('TWD', 901, 2, 'New Taiwan Dollar', 'extension'),
	('TZS', 834, 2, 'Tanzanian Shilling', 'extension'),
	('UAH', 980, 2, 'Hryvnia', 'extension'),
	('UGX', 800, 0, 'Uganda Shilling', 'extension'),
	('USD', 840, 2, 'US Dollar', 'extension'),
	('USN', 997, 2, 'US Dollar (Next day)', 'extension'),
	('UYI', 940, 0, 'Uruguay Peso en Unidades Indexadas (UI)', 'extension'),
	('UYU', 858, 2, 'Peso Uruguayo', 'extension'),
	('UYW', 927, 4, 'Unidad Previsional', 'extension'),
	('UZS', 860, 2, 'Uzbekistan Sum', 'extension'),
	('VED', 926, 2, 'Bolívar Soberano', 'extension'),
	('VES', 928, 2, 'Bolívar Soberano', 'extension'),
	('VND', 704, 0, 'Dong', 'extension'),
	('VUV', 548, 0, 'Vatu', 'extension'),
	('WST', 882, 2, 'Tala', 'extension'),
	('XAF', 950, 0, 'CFA Franc BEAC', 'extension'),
	('XCD', 951, 2, 'East Caribbean Dollar', 'extension'),
	('XOF', 952, 0, 'CFA Franc BCEAO', 'extension'),
	('XPF', 953, 0, 'CFP Franc', 'extension'),
	('YER', 886, 2, 'Yemeni Rial', 'extension'),
	('ZAR', 710, 2, 'Rand', 'extension'),
	('ZMW', 967, 2, 'Zambian Kwacha', 'extension'),
	('ZWL', 932, 2, 'Zimbabwe Dollar', 'extension');

-- Dated exchange rates: 1 from_currency = rate to_currency from valid_from
-- on, until the pair's next valid_from.
CREATE TABLE exchange_rate (
	from_currency text NOT NULL REFERENCES currency,
	to_currency text NOT NULL REFERENCES currency,
	valid_from	date NOT NULL,
	rate		numeric NOT NULL,
	PRIMARY KEY (from_currency, to_currency, valid_from)
);
COMMENT ON TABLE exchange_rate IS 'crm_sales: dated exchange rates, 1 from_currency = rate to_currency from valid_from until the next valid_from of the pair';

-- The corporate currency (at most one row): triangulation goes through it,
-- and it is the default target of freeze_won_amount() and attainment().
CREATE TABLE corporate_currency (
	code		text NOT NULL REFERENCES currency,
	singleton	boolean NOT NULL DEFAULT true PRIMARY KEY CHECK (singleton)
);
COMMENT ON TABLE corporate_currency IS 'crm_sales: the corporate currency (one row at most); set it with crm_sales.set_corporate_currency()';

-- quotas (70_performance.sql, which comes first) are in a known currency
ALTER TABLE quota ADD CONSTRAINT quota_currency_fkey FOREIGN KEY (currency) REFERENCES currency;

SELECT pg_catalog.pg_extension_config_dump('currency', $$WHERE origin <> 'extension'$$);
SELECT pg_catalog.pg_extension_config_dump('exchange_rate', '');
SELECT pg_catalog.pg_extension_config_dump('corporate_currency', '');
GRANT SELECT ON currency, exchange_rate, corporate_currency TO PUBLIC;

-- Clear errors for bad rates (the constraints above are the backstop).
CREATE FUNCTION _exchange_rate_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	unknown text;
BEGIN
	SELECT c INTO unknown
	  FROM unnest(ARRAY[NEW.from_currency, NEW.to_currency]) AS c
	 WHERE c IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_sales.currency k WHERE k.code = c)
	 LIMIT 1;
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'unknown currency code "%"', unknown
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The rate %s -> %s valid from %s.',
								  NEW.from_currency, NEW.to_currency, NEW.valid_from),
				  HINT = 'Use an ISO 4217 code listed in crm_sales.currency (upper case), or add the currency there first.';
	END IF;
	IF NEW.from_currency = NEW.to_currency THEN
		RAISE EXCEPTION 'an exchange rate needs two different currencies'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Both currencies are %s.', NEW.from_currency),
				  HINT = 'A currency converts to itself at 1 without a rate.';
	END IF;
	IF NEW.rate IS NOT NULL AND (NEW.rate = 'NaN'::numeric OR NEW.rate <= 0
								 OR NEW.rate = 'Infinity'::numeric) THEN
		RAISE EXCEPTION 'exchange rate must be a positive finite number'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The rate %s -> %s valid from %s is %s.',
								  NEW.from_currency, NEW.to_currency, NEW.valid_from, NEW.rate),
				  HINT = 'Give how many units of to_currency one unit of from_currency buys, e.g. 1.0823.';
	END IF;
	IF NEW.rate IS NOT NULL AND (NEW.rate >= 1e18 OR NEW.rate <> round(NEW.rate, 18)) THEN
		RAISE EXCEPTION 'exchange rate % is out of range', NEW.rate
			USING ERRCODE = 'numeric_value_out_of_range',
				  DETAIL = 'A rate is below 10^18 and has at most 18 decimal places.',
				  HINT = 'Round the rate to 18 decimal places.';
	END IF;
	IF NEW.valid_from IS NOT NULL AND NOT isfinite(NEW.valid_from) THEN
		RAISE EXCEPTION 'valid_from must be a finite date'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The rate %s -> %s has valid_from %s.',
								  NEW.from_currency, NEW.to_currency, NEW.valid_from),
				  HINT = 'Give the first day the rate applies; it applies until the next one.';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER exchange_rate_check BEFORE INSERT OR UPDATE ON exchange_rate
	FOR EACH ROW EXECUTE FUNCTION _exchange_rate_check();

-- Every change reaches each backend's rate cache (src/currency.c).
CREATE TRIGGER currency_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON currency
	FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER exchange_rate_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON exchange_rate
	FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER corporate_currency_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON corporate_currency
	FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
ALTER TABLE currency ENABLE ALWAYS TRIGGER currency_changed;
ALTER TABLE exchange_rate ENABLE ALWAYS TRIGGER exchange_rate_changed;
ALTER TABLE corporate_currency ENABLE ALWAYS TRIGGER corporate_currency_changed;

CREATE FUNCTION set_corporate_currency(code text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF code IS NULL OR NOT EXISTS (SELECT 1 FROM crm_sales.currency c WHERE c.code = set_corporate_currency.code) THEN
		RAISE EXCEPTION 'unknown currency code "%"', coalesce(code, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use an ISO 4217 code listed in crm_sales.currency (upper case).';
	END IF;
	INSERT INTO crm_sales.corporate_currency AS c (code) VALUES (set_corporate_currency.code)
		ON CONFLICT (singleton) DO UPDATE SET code = EXCLUDED.code;
END $$;
COMMENT ON FUNCTION set_corporate_currency(text) IS
	'set the corporate currency (ISO 4217 code): the currency rates triangulate through and the default target of conversions';

CREATE FUNCTION corporate_currency() RETURNS text
	AS 'MODULE_PATHNAME', 'crm_corporate_currency'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION corporate_currency() IS 'the corporate currency code, or NULL if none is set';

CREATE FUNCTION to_currency(amount numeric, from_currency text, to_currency text, at date,
							rounding text DEFAULT 'half_up')
RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_to_currency'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION to_currency(numeric, text, text, date, text) IS
	'amount converted with the rate in force on day at (direct, inverse, or through the corporate currency), exact, rounded once to the target''s minor units (half_up or half_even)';

CREATE FUNCTION currency_rate(from_currency text, to_currency text, at date) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_currency_rate'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION currency_rate(text, text, date) IS
	'the rate to_currency() applies on day at, as one number rounded to 18 decimal places (for display)';

CREATE FUNCTION freeze_won_amount() RETURNS trigger
	AS 'MODULE_PATHNAME', 'crm_freeze_won_amount'
	LANGUAGE C;
COMMENT ON FUNCTION freeze_won_amount() IS
	'BEFORE INSERT OR UPDATE row trigger freeze_won_amount(stage_column, amount_column, currency_column, converted_column [, date_column [, target_currency]]): stores the converted amount when the row enters a won stage';
