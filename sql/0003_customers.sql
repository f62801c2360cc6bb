-- 0003_customers.sql -- reference lists (countries, currencies, EU VAT ID
-- formats), the business settings row, gap-free document numbers and
-- customers.
--
-- Invariants that hold for every writer:
--   * business_settings has exactly one row (id = true).
--   * document numbers come from next_document_number() only; the counter
--     row is locked until the caller's transaction ends, so numbers are
--     dense and unique per (kind, year) and a rollback gives them back.
--   * a customer's countries are ISO 3166-1 alpha-2 codes from `countries`,
--     its VAT ID matches the EU format of its prefix, and an external id is
--     unique per source.
--   * an anonymised customer keeps its row and id but never gets personal
--     data again; a customer with documents cannot be deleted.

-- ---- reference lists ----

CREATE TABLE countries (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
	name		text NOT NULL,
	eu		boolean NOT NULL DEFAULT false
);

CREATE TABLE currencies (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
	name		text NOT NULL,
	-- digits after the decimal point: amounts are stored in these units
	minor_digits	integer NOT NULL CHECK (minor_digits BETWEEN 0 AND 4)
);

-- VAT ID formats by prefix (VIES).  Greece uses EL, Northern Ireland XI.
CREATE TABLE vat_id_formats (
	prefix		text PRIMARY KEY CHECK (prefix ~ '^[A-Z]{2}$'),
	country		text NOT NULL REFERENCES countries (code),
	pattern		text NOT NULL,
	example		text NOT NULL
);

INSERT INTO countries (code, name, eu) VALUES
	('AD', 'Andorra', false),
	('AE', 'United Arab Emirates', false),
	('AF', 'Afghanistan', false),
	('AG', 'Antigua and Barbuda', false),
	('AI', 'Anguilla', false),
	('AL', 'Albania', false),
	('AM', 'Armenia', false),
	('AO', 'Angola', false),
	('AQ', 'Antarctica', false),
	('AR', 'Argentina', false),
	('AS', 'American Samoa', false),
	('AT', 'Austria', true),
	('AU', 'Australia', false),
	('AW', 'Aruba', false),
	('AX', 'Åland Islands', false),
	('AZ', 'Azerbaijan', false),
	('BA', 'Bosnia and Herzegovina', false),
	('BB', 'Barbados', false),
	('BD', 'Bangladesh', false),
	('BE', 'Belgium', true),
	('BF', 'Burkina Faso', false),
	('BG', 'Bulgaria', true),
	('BH', 'Bahrain', false),
	('BI', 'Burundi', false),
	('BJ', 'Benin', false),
	('BL', 'Saint Barthélemy', false),
	('BM', 'Bermuda', false),
	('BN', 'Brunei Darussalam', false),
	('BO', 'Bolivia', false),
	('BQ', 'Bonaire, Sint Eustatius and Saba', false),
	('BR', 'Brazil', false),
	('BS', 'Bahamas', false),
	('BT', 'Bhutan', false),
	('BV', 'Bouvet Island', false),
	('BW', 'Botswana', false),
	('BY', 'Belarus', false),
	('BZ', 'Belize', false),
	('CA', 'Canada', false),
	('CC', 'Cocos (Keeling) Islands', false),
	('CD', 'Congo, The Democratic Republic of the', false),
	('CF', 'Central African Republic', false),
	('CG', 'Congo', false),
	('CH', 'Switzerland', false),
	('CI', 'Côte d''Ivoire', false),
	('CK', 'Cook Islands', false),
	('CL', 'Chile', false),
	('CM', 'Cameroon', false),
	('CN', 'China', false),
	('CO', 'Colombia', false),
	('CR', 'Costa Rica', false),
	('CU', 'Cuba', false),
	('CV', 'Cabo Verde', false),
	('CW', 'Curaçao', false),
	('CX', 'Christmas Island', false),
	('CY', 'Cyprus', true),
	('CZ', 'Czechia', true),
	('DE', 'Germany', true),
	('DJ', 'Djibouti', false),
	('DK', 'Denmark', true),
	('DM', 'Dominica', false),
	('DO', 'Dominican Republic', false),
	('DZ', 'Algeria', false),
	('EC', 'Ecuador', false),
	('EE', 'Estonia', true),
	('EG', 'Egypt', false),
	('EH', 'Western Sahara', false),
	('ER', 'Eritrea', false),
	('ES', 'Spain', true),
	('ET', 'Ethiopia', false),
	('FI', 'Finland', true),
	('FJ', 'Fiji', false),
	('FK', 'Falkland Islands (Malvinas)', false),
	('FM', 'Micronesia, Federated States of', false),
	('FO', 'Faroe Islands', false),
	('FR', 'France', true),
	('GA', 'Gabon', false),
	('GB', 'United Kingdom', false),
	('GD', 'Grenada', false),
	('GE', 'Georgia', false),
	('GF', 'French Guiana', false),
	('GG', 'Guernsey', false),
	('GH', 'Ghana', false),
	('GI', 'Gibraltar', false),
	('GL', 'Greenland', false),
	('GM', 'Gambia', false),
	('GN', 'Guinea', false),
	('GP', 'Guadeloupe', false),
	('GQ', 'Equatorial Guinea', false),
	('GR', 'Greece', true),
	('GS', 'South Georgia and the South Sandwich Islands', false),
	('GT', 'Guatemala', false),
	('GU', 'Guam', false),
	('GW', 'Guinea-Bissau', false),
	('GY', 'Guyana', false),
	('HK', 'Hong Kong', false),
	('HM', 'Heard Island and McDonald Islands', false),
	('HN', 'Honduras', false),
	('HR', 'Croatia', true),
	('HT', 'Haiti', false),
	('HU', 'Hungary', true),
	('ID', 'Indonesia', false),
	('IE', 'Ireland', true),
	('IL', 'Israel', false),
	('IM', 'Isle of Man', false),
	('IN', 'India', false),
	('IO', 'British Indian Ocean Territory', false),
	('IQ', 'Iraq', false),
	('IR', 'Iran', false),
	('IS', 'Iceland', false),
	('IT', 'Italy', true),
	('JE', 'Jersey', false),
	('JM', 'Jamaica', false),
	('JO', 'Jordan', false),
	('JP', 'Japan', false),
	('KE', 'Kenya', false),
	('KG', 'Kyrgyzstan', false),
	('KH', 'Cambodia', false),
	('KI', 'Kiribati', false),
	('KM', 'Comoros', false),
	('KN', 'Saint Kitts and Nevis', false),
	('KP', 'North Korea', false),
	('KR', 'South Korea', false),
	('KW', 'Kuwait', false),
	('KY', 'Cayman Islands', false),
	('KZ', 'Kazakhstan', false),
	('LA', 'Laos', false),
	('LB', 'Lebanon', false),
	('LC', 'Saint Lucia', false),
	('LI', 'Liechtenstein', false),
	('LK', 'Sri Lanka', false),
	('LR', 'Liberia', false),
	('LS', 'Lesotho', false),
	('LT', 'Lithuania', true),
	('LU', 'Luxembourg', true),
	('LV', 'Latvia', true),
	('LY', 'Libya', false),
	('MA', 'Morocco', false),
	('MC', 'Monaco', false),
	('MD', 'Moldova', false),
	('ME', 'Montenegro', false),
	('MF', 'Saint Martin (French part)', false),
	('MG', 'Madagascar', false),
	('MH', 'Marshall Islands', false),
	('MK', 'North Macedonia', false),
	('ML', 'Mali', false),
	('MM', 'Myanmar', false),
	('MN', 'Mongolia', false),
	('MO', 'Macao', false),
	('MP', 'Northern Mariana Islands', false),
	('MQ', 'Martinique', false),
	('MR', 'Mauritania', false),
	('MS', 'Montserrat', false),
	('MT', 'Malta', true),
	('MU', 'Mauritius', false),
	('MV', 'Maldives', false),
	('MW', 'Malawi', false),
	('MX', 'Mexico', false),
	('MY', 'Malaysia', false),
	('MZ', 'Mozambique', false),
	('NA', 'Namibia', false),
	('NC', 'New Caledonia', false),
	('NE', 'Niger', false),
	('NF', 'Norfolk Island', false),
	('NG', 'Nigeria', false),
	('NI', 'Nicaragua', false),
	('NL', 'Netherlands', true),
	('NO', 'Norway', false),
	('NP', 'Nepal', false),
	('NR', 'Nauru', false),
	('NU', 'Niue', false),
	('NZ', 'New Zealand', false),
	('OM', 'Oman', false),
	('PA', 'Panama', false),
	('PE', 'Peru', false),
	('PF', 'French Polynesia', false),
	('PG', 'Papua New Guinea', false),
	('PH', 'Philippines', false),
	('PK', 'Pakistan', false),
	('PL', 'Poland', true),
	('PM', 'Saint Pierre and Miquelon', false),
	('PN', 'Pitcairn', false),
	('PR', 'Puerto Rico', false),
	('PS', 'Palestine, State of', false),
	('PT', 'Portugal', true),
	('PW', 'Palau', false),
	('PY', 'Paraguay', false),
	('QA', 'Qatar', false),
	('RE', 'Réunion', false),
	('RO', 'Romania', true),
	('RS', 'Serbia', false),
	('RU', 'Russian Federation', false),
	('RW', 'Rwanda', false),
	('SA', 'Saudi Arabia', false),
	('SB', 'Solomon Islands', false),
	('SC', 'Seychelles', false),
	('SD', 'Sudan', false),
	('SE', 'Sweden', true),
	('SG', 'Singapore', false),
	('SH', 'Saint Helena, Ascension and Tristan da Cunha', false),
	('SI', 'Slovenia', true),
	('SJ', 'Svalbard and Jan Mayen', false),
	('SK', 'Slovakia', true),
	('SL', 'Sierra Leone', false),
	('SM', 'San Marino', false),
	('SN', 'Senegal', false),
	('SO', 'Somalia', false),
	('SR', 'Suriname', false),
	('SS', 'South Sudan', false),
	('ST', 'Sao Tome and Principe', false),
	('SV', 'El Salvador', false),
	('SX', 'Sint Maarten (Dutch part)', false),
	('SY', 'Syria', false),
	('SZ', 'Eswatini', false),
	('TC', 'Turks and Caicos Islands', false),
	('TD', 'Chad', false),
	('TF', 'French Southern Territories', false),
	('TG', 'Togo', false),
	('TH', 'Thailand', false),
	('TJ', 'Tajikistan', false),
	('TK', 'Tokelau', false),
	('TL', 'Timor-Leste', false),
	('TM', 'Turkmenistan', false),
	('TN', 'Tunisia', false),
	('TO', 'Tonga', false),
	('TR', 'Türkiye', false),
	('TT', 'Trinidad and Tobago', false),
	('TV', 'Tuvalu', false),
	('TW', 'Taiwan', false),
	('TZ', 'Tanzania', false),
	('UA', 'Ukraine', false),
	('UG', 'Uganda', false),
	('UM', 'United States Minor Outlying Islands', false),
	('US', 'United States', false),
	('UY', 'Uruguay', false),
	('UZ', 'Uzbekistan', false),
	('VA', 'Holy See (Vatican City State)', false),
	('VC', 'Saint Vincent and the Grenadines', false),
	('VE', 'Venezuela', false),
	('VG', 'Virgin Islands, British', false),
	('VI', 'Virgin Islands, U.S.', false),
	('VN', 'Vietnam', false),
	('VU', 'Vanuatu', false),
	('WF', 'Wallis and Futuna', false),
	('WS', 'Samoa', false),
	('YE', 'Yemen', false),
	('YT', 'Mayotte', false),
	('ZA', 'South Africa', false),
	('ZM', 'Zambia', false),
	('ZW', 'Zimbabwe', false);

INSERT INTO currencies (code, name, minor_digits) VALUES
	('AED', 'UAE Dirham', 2),
	('AFN', 'Afghani', 2),
	('ALL', 'Lek', 2),
	('AMD', 'Armenian Dram', 2),
	('ANG', 'Netherlands Antillean Guilder', 2),
	('AOA', 'Kwanza', 2),
	('ARS', 'Argentine Peso', 2),
	('AUD', 'Australian Dollar', 2),
	('AWG', 'Aruban Florin', 2),
	('AZN', 'Azerbaijan Manat', 2),
	('BAM', 'Convertible Mark', 2),
	('BBD', 'Barbados Dollar', 2),
	('BDT', 'Taka', 2),
	('BGN', 'Bulgarian Lev', 2),
	('BHD', 'Bahraini Dinar', 3),
	('BIF', 'Burundi Franc', 0),
	('BMD', 'Bermudian Dollar', 2),
	('BND', 'Brunei Dollar', 2),
	('BOB', 'Boliviano', 2),
	('BRL', 'Brazilian Real', 2),
	('BSD', 'Bahamian Dollar', 2),
	('BTN', 'Ngultrum', 2),
	('BWP', 'Pula', 2),
	('BYN', 'Belarusian Ruble', 2),
	('BZD', 'Belize Dollar', 2),
	('CAD', 'Canadian Dollar', 2),
	('CDF', 'Congolese Franc', 2),
	('CHF', 'Swiss Franc', 2),
	('CLP', 'Chilean Peso', 0),
	('CNY', 'Yuan Renminbi', 2),
	('COP', 'Colombian Peso', 2),
	('CRC', 'Costa Rican Colon', 2),
	('CUP', 'Cuban Peso', 2),
	('CVE', 'Cabo Verde Escudo', 2),
	('CZK', 'Czech Koruna', 2),
	('DJF', 'Djibouti Franc', 0),
	('DKK', 'Danish Krone', 2),
	('DOP', 'Dominican Peso', 2),
	('DZD', 'Algerian Dinar', 2),
	('EGP', 'Egyptian Pound', 2),
	('ERN', 'Nakfa', 2),
	('ETB', 'Ethiopian Birr', 2),
	('EUR', 'Euro', 2),
	('FJD', 'Fiji Dollar', 2),
	('FKP', 'Falkland Islands Pound', 2),
	('GBP', 'Pound Sterling', 2),
	('GEL', 'Lari', 2),
	('GHS', 'Ghana Cedi', 2),
	('GIP', 'Gibraltar Pound', 2),
	('GMD', 'Dalasi', 2),
	('GNF', 'Guinean Franc', 0),
	('GTQ', 'Quetzal', 2),
	('GYD', 'Guyana Dollar', 2),
	('HKD', 'Hong Kong Dollar', 2),
	('HNL', 'Lempira', 2),
	('HTG', 'Gourde', 2),
	('HUF', 'Forint', 2),
	('IDR', 'Rupiah', 2),
	('ILS', 'New Israeli Sheqel', 2),
	('INR', 'Indian Rupee', 2),
	('IQD', 'Iraqi Dinar', 3),
	('IRR', 'Iranian Rial', 2),
	('ISK', 'Iceland Krona', 0),
	('JMD', 'Jamaican Dollar', 2),
	('JOD', 'Jordanian Dinar', 3),
	('JPY', 'Yen', 0),
	('KES', 'Kenyan Shilling', 2),
	('KGS', 'Som', 2),
	('KHR', 'Riel', 2),
	('KMF', 'Comorian Franc', 0),
	('KPW', 'North Korean Won', 2),
	('KRW', 'Won', 0),
	('KWD', 'Kuwaiti Dinar', 3),
	('KYD', 'Cayman Islands Dollar', 2),
	('KZT', 'Tenge', 2),
	('LAK', 'Lao Kip', 2),
	('LBP', 'Lebanese Pound', 2),
	('LKR', 'Sri Lanka Rupee', 2),
	('LRD', 'Liberian Dollar', 2),
	('LSL', 'Loti', 2),
	('LYD', 'Libyan Dinar', 3),
	('MAD', 'Moroccan Dirham', 2),
	('MDL', 'Moldovan Leu', 2),
	('MGA', 'Malagasy Ariary', 2),
	('MKD', 'Denar', 2),
	('MMK', 'Kyat', 2),
	('MNT', 'Tugrik', 2),
	('MOP', 'Pataca', 2),
	('MRU', 'Ouguiya', 2),
	('MUR', 'Mauritius Rupee', 2),
	('MVR', 'Rufiyaa', 2),
	('MWK', 'Malawi Kwacha', 2),
	('MXN', 'Mexican Peso', 2),
	('MYR', 'Malaysian Ringgit', 2),
	('MZN', 'Mozambique Metical', 2),
	('NAD', 'Namibia Dollar', 2),
	('NGN', 'Naira', 2),
	('NIO', 'Cordoba Oro', 2),
	('NOK', 'Norwegian Krone', 2),
	('NPR', 'Nepalese Rupee', 2),
	('NZD', 'New Zealand Dollar', 2),
	('OMR', 'Rial Omani', 3),
	('PAB', 'Balboa', 2),
	('PEN', 'Sol', 2),
	('PGK', 'Kina', 2),
	('PHP', 'Philippine Peso', 2),
	('PKR', 'Pakistan Rupee', 2),
	('PLN', 'Zloty', 2),
	('PYG', 'Guarani', 0),
	('QAR', 'Qatari Rial', 2),
	('RON', 'Romanian Leu', 2),
	('RSD', 'Serbian Dinar', 2),
	('RUB', 'Russian Ruble', 2),
	('RWF', 'Rwanda Franc', 0),
	('SAR', 'Saudi Riyal', 2),
	('SBD', 'Solomon Islands Dollar', 2),
	('SCR', 'Seychelles Rupee', 2),
	('SDG', 'Sudanese Pound', 2),
	('SEK', 'Swedish Krona', 2),
	('SGD', 'Singapore Dollar', 2),
	('SHP', 'Saint Helena Pound', 2),
	('SLE', 'Leone', 2),
	('SOS', 'Somali Shilling', 2),
	('SRD', 'Surinam Dollar', 2),
	('SSP', 'South Sudanese Pound', 2),
	('STN', 'Dobra', 2),
	('SVC', 'El Salvador Colon', 2),
	('SYP', 'Syrian Pound', 2),
	('SZL', 'Lilangeni', 2),
	('THB', 'Baht', 2),
	('TJS', 'Somoni', 2),
	('TMT', 'Turkmenistan New Manat', 2),
	('TND', 'Tunisian Dinar', 3),
	('TOP', 'Pa’anga', 2),
	('TRY', 'Turkish Lira', 2),
	('TTD', 'Trinidad and Tobago Dollar', 2),
	('TWD', 'New Taiwan Dollar', 2),
	('TZS', 'Tanzanian Shilling', 2),
	('UAH', 'Hryvnia', 2),
	('UGX', 'Uganda Shilling', 0),
	('USD', 'US Dollar', 2),
	('UYU', 'Peso Uruguayo', 2),
	('UZS', 'Uzbekistan Sum', 2),
	('VES', 'Bolívar Soberano', 2),
	('VND', 'Dong', 0),
	('VUV', 'Vatu', 0),
	('WST', 'Tala', 2),
	('XAF', 'CFA Franc BEAC', 0),
	('XCD', 'East Caribbean Dollar', 2),
	('XOF', 'CFA Franc BCEAO', 0),
	('XPF', 'CFP Franc', 0),
	('YER', 'Yemeni Rial', 2),
	('ZAR', 'Rand', 2),
	('ZMW', 'Zambian Kwacha', 2);

INSERT INTO vat_id_formats (prefix, country, pattern, example) VALUES
	('AT', 'AT', '^ATU[0-9]{8}$', 'ATU12345678'),
	('BE', 'BE', '^BE[01][0-9]{9}$', 'BE0123456789'),
	('BG', 'BG', '^BG[0-9]{9,10}$', 'BG123456789'),
	('CY', 'CY', '^CY[0-9]{8}[A-Z]$', 'CY12345678X'),
	('CZ', 'CZ', '^CZ[0-9]{8,10}$', 'CZ12345678'),
	('DE', 'DE', '^DE[0-9]{9}$', 'DE123456789'),
	('DK', 'DK', '^DK[0-9]{8}$', 'DK12345678'),
	('EE', 'EE', '^EE[0-9]{9}$', 'EE123456789'),
	('EL', 'GR', '^EL[0-9]{9}$', 'EL123456789'),
	('ES', 'ES', '^ES[0-9A-Z][0-9]{7}[0-9A-Z]$', 'ESX1234567X'),
	('FI', 'FI', '^FI[0-9]{8}$', 'FI12345678'),
	('FR', 'FR', '^FR[0-9A-HJ-NP-Z]{2}[0-9]{9}$', 'FR12345678901'),
	('HR', 'HR', '^HR[0-9]{11}$', 'HR12345678901'),
	('HU', 'HU', '^HU[0-9]{8}$', 'HU12345678'),
	('IE', 'IE', '^IE([0-9]{7}[A-W][A-I]?|[0-9][A-Z+*][0-9]{5}[A-W])$',
	    'IE1234567T'),
	('IT', 'IT', '^IT[0-9]{11}$', 'IT12345678901'),
	('LT', 'LT', '^LT([0-9]{9}|[0-9]{12})$', 'LT123456789'),
	('LU', 'LU', '^LU[0-9]{8}$', 'LU12345678'),
	('LV', 'LV', '^LV[0-9]{11}$', 'LV12345678901'),
	('MT', 'MT', '^MT[0-9]{8}$', 'MT12345678'),
	('NL', 'NL', '^NL[0-9]{9}B[0-9]{2}$', 'NL123456789B01'),
	('PL', 'PL', '^PL[0-9]{10}$', 'PL1234567890'),
	('PT', 'PT', '^PT[0-9]{9}$', 'PT123456789'),
	('RO', 'RO', '^RO[1-9][0-9]{1,9}$', 'RO1234567890'),
	('SE', 'SE', '^SE[0-9]{10}01$', 'SE123456789001'),
	('SI', 'SI', '^SI[0-9]{8}$', 'SI12345678'),
	('SK', 'SK', '^SK[0-9]{10}$', 'SK1234567890'),
	('XI', 'GB', '^XI([0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$',
	    'XI123456789');

-- A VAT ID as stored: upper case, without spaces, dots and dashes.
CREATE FUNCTION vat_id_normalise(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT nullif(upper(regexp_replace(v, '[[:space:].-]', '', 'g')), '')
$$;

-- True when v (normalised) matches the EU format of its two-letter prefix.
CREATE FUNCTION vat_id_valid(v text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT v IS NULL OR EXISTS (SELECT 1 FROM vat_id_formats f
	    WHERE f.prefix = substr(v, 1, 2) AND v ~ f.pattern)
$$;

CREATE FUNCTION timezone_known(tz text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz)
$$;

-- ---- business settings ----

-- A list of 1 to 6 named rates in basis points (1900 = 19 %), names
-- unique, one of them "standard".
CREATE FUNCTION vat_rates_valid(r jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN jsonb_typeof(r) <> 'array' OR
	    jsonb_array_length(r) NOT BETWEEN 1 AND 6 THEN false
	ELSE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r) AS e(v)
	    WHERE CASE WHEN jsonb_typeof(v) <> 'object' THEN true
	    WHEN (SELECT count(*) FROM jsonb_object_keys(v)) <> 2 THEN true
	    WHEN jsonb_typeof(v -> 'name') IS DISTINCT FROM 'string' OR
	        jsonb_typeof(v -> 'rate_bp') IS DISTINCT FROM 'number' THEN true
	    WHEN (v ->> 'name') !~ '^[a-z][a-z0-9_]{0,31}$' THEN true
	    WHEN (v ->> 'rate_bp') !~ '^[0-9]{1,5}$' THEN true
	    ELSE (v ->> 'rate_bp')::integer > 10000 END)
	    AND (SELECT count(DISTINCT v ->> 'name') FROM
	    jsonb_array_elements(r) AS e(v)) = jsonb_array_length(r)
	    AND EXISTS (SELECT 1 FROM jsonb_array_elements(r) AS e(v)
	    WHERE v ->> 'name' = 'standard') END
$$;

CREATE TABLE business_settings (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	currency	text NOT NULL DEFAULT 'EUR' REFERENCES currencies (code),
	vat_rates	jsonb NOT NULL DEFAULT
			'[{"name": "standard", "rate_bp": 1900},
			  {"name": "reduced", "rate_bp": 700}]'
			CHECK (vat_rates_valid(vat_rates)),
	-- what an hour of work costs, in minor units of the currency
	labour_rate_cents bigint NOT NULL DEFAULT 0
			CHECK (labour_rate_cents BETWEEN 0 AND 100000000),
	-- overhead added on top of costs and the margin aimed at, in basis
	-- points (1500 = 15 %); a margin is a share of the price, below 100 %
	overhead_bp	integer NOT NULL DEFAULT 0
			CHECK (overhead_bp BETWEEN 0 AND 100000),
	target_margin_bp integer NOT NULL DEFAULT 0
			CHECK (target_margin_bp BETWEEN 0 AND 9900),
	business_name	text CHECK (length(business_name) BETWEEN 1 AND 200),
	business_street	text CHECK (length(business_street) BETWEEN 1 AND 200),
	business_postal_code text
			CHECK (length(business_postal_code) BETWEEN 1 AND 16),
	business_city	text CHECK (length(business_city) BETWEEN 1 AND 100),
	business_country text REFERENCES countries (code),
	business_vat_id	text CHECK (business_vat_id = vat_id_normalise(
			    business_vat_id) AND vat_id_valid(business_vat_id)),
	timezone	text NOT NULL DEFAULT 'Europe/Berlin'
			CHECK (timezone_known(timezone)),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO business_settings DEFAULT VALUES;

CREATE FUNCTION business_settings_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER business_settings_touch BEFORE UPDATE ON business_settings
	FOR EACH ROW EXECUTE FUNCTION business_settings_touch();
CREATE FUNCTION business_settings_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the business settings row cannot be deleted';
END
$$;
CREATE TRIGGER business_settings_keep BEFORE DELETE ON business_settings
	FOR EACH ROW EXECUTE FUNCTION business_settings_keep();

-- ---- document numbers ----

-- The last number handed out per kind and year.  The row is the lock:
-- next_document_number() updates it in the caller's transaction.
CREATE TABLE document_counters (
	kind		text NOT NULL CHECK (kind IN ('SO', 'PO', 'Q', 'INV')),
	year		integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
	last_value	integer NOT NULL CHECK (last_value > 0),
	PRIMARY KEY (kind, year)
);

-- 'SO-2026-00042': the next number of a kind for a document dated `at`
-- (its year in the business time zone).  Call it inside the transaction
-- that stores the document: concurrent callers wait for the counter row,
-- and a rollback undoes the increment, so there are no gaps.
CREATE FUNCTION next_document_number(p_kind text,
    p_at timestamptz DEFAULT now()) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	tz	text;
	y	integer;
	n	integer;
BEGIN
	IF p_kind IS NULL OR p_kind NOT IN ('SO', 'PO', 'Q', 'INV') THEN
		RAISE EXCEPTION 'unknown document kind: %', p_kind
		    USING ERRCODE = '22023',
		    HINT = 'use SO, PO, Q or INV';
	END IF;
	IF p_at IS NULL THEN
		p_at := now();
	END IF;
	SELECT timezone INTO tz FROM business_settings;
	y := extract(year FROM p_at AT TIME ZONE coalesce(tz,
	    'Europe/Berlin'))::integer;
	INSERT INTO document_counters AS c (kind, year, last_value)
	    VALUES (p_kind, y, 1)
	    ON CONFLICT (kind, year) DO UPDATE SET last_value = c.last_value + 1
	    RETURNING c.last_value INTO n;
	RETURN p_kind || '-' || y || '-' ||
	    CASE WHEN n < 100000 THEN lpad(n::text, 5, '0') ELSE n::text END;
END
$$;

-- ---- customers ----

CREATE TYPE customer_source AS ENUM ('manual', 'etsy', 'quote');

CREATE TABLE customers (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	email		text CHECK (length(email) <= 254 AND
			    email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
	phone		text CHECK (phone ~ '^\+?[0-9 ()./-]{3,40}$'),
	billing_street	text CHECK (length(billing_street) BETWEEN 1 AND 200),
	billing_postal_code text
			CHECK (length(billing_postal_code) BETWEEN 1 AND 16),
	billing_city	text CHECK (length(billing_city) BETWEEN 1 AND 100),
	billing_country	text REFERENCES countries (code),
	shipping_street	text CHECK (length(shipping_street) BETWEEN 1 AND 200),
	shipping_postal_code text
			CHECK (length(shipping_postal_code) BETWEEN 1 AND 16),
	shipping_city	text CHECK (length(shipping_city) BETWEEN 1 AND 100),
	shipping_country text REFERENCES countries (code),
	vat_id		text CHECK (vat_id = vat_id_normalise(vat_id) AND
			    vat_id_valid(vat_id)),
	source		customer_source NOT NULL DEFAULT 'manual',
	external_id	text CHECK (length(external_id) BETWEEN 1 AND 100),
	notes		text CHECK (length(notes) BETWEEN 1 AND 4000),
	anonymised_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_source_external ON customers (source,
	external_id) WHERE external_id IS NOT NULL;
CREATE INDEX customers_name ON customers (lower(name));
CREATE INDEX customers_email ON customers (lower(email));

-- The fields that hold personal data: anonymisation clears them (the
-- name becomes "anonymised customer <id>") and scrubs them from the
-- audit rows about the customer.
CREATE FUNCTION customer_personal_fields() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['name', 'email', 'phone', 'billing_street',
	    'billing_postal_code', 'billing_city', 'shipping_street',
	    'shipping_postal_code', 'shipping_city', 'vat_id', 'external_id',
	    'notes']
$$;

-- True when documents (orders, quotes, invoices ...) name the customer.
-- Later migrations replace it with one that looks at their tables; a
-- customer with documents is anonymised, never deleted.
CREATE FUNCTION customer_has_documents(p_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT false
$$;

CREATE FUNCTION customers_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.anonymised_at IS NOT NULL AND (NEW.anonymised_at IS NULL OR
	    NEW.name IS DISTINCT FROM OLD.name OR
	    NEW.email IS NOT NULL OR NEW.phone IS NOT NULL OR
	    NEW.billing_street IS NOT NULL OR
	    NEW.billing_postal_code IS NOT NULL OR
	    NEW.billing_city IS NOT NULL OR NEW.shipping_street IS NOT NULL OR
	    NEW.shipping_postal_code IS NOT NULL OR
	    NEW.shipping_city IS NOT NULL OR NEW.vat_id IS NOT NULL OR
	    NEW.external_id IS NOT NULL OR NEW.notes IS NOT NULL) THEN
		RAISE EXCEPTION 'customer % is anonymised', OLD.id
		    USING DETAIL = 'an anonymised customer keeps no personal data',
		    HINT = 'create a new customer instead';
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
	FOR EACH ROW EXECUTE FUNCTION customers_touch();

CREATE FUNCTION customers_keep_documented() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF customer_has_documents(OLD.id) THEN
		RAISE EXCEPTION 'customer % has documents', OLD.id
		    USING DETAIL = 'orders, quotes or invoices name this customer',
		    HINT = 'anonymise the customer to remove personal data';
	END IF;
	RETURN OLD;
END
$$;
CREATE TRIGGER customers_keep_documented BEFORE DELETE ON customers
	FOR EACH ROW EXECUTE FUNCTION customers_keep_documented();

-- An audit before/after object with the personal fields' values replaced.
CREATE FUNCTION customer_scrub(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) <> 'object' THEN j
	ELSE (SELECT coalesce(jsonb_object_agg(k, CASE WHEN
	    k = ANY (customer_personal_fields()) AND v <> 'null'::jsonb
	    THEN '"(anonymised)"'::jsonb ELSE v END), '{}'::jsonb)
	    FROM jsonb_each(j) AS e(k, v)) END
$$;

-- Removes a customer's personal data and keeps the row, its id and its
-- countries.  Returns {"fields": [names that had data], "newly": true the
-- first time}, or NULL when there is no such customer.  Calling it again
-- changes nothing.
CREATE FUNCTION customer_anonymise(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	c	customers;
	f	text;
	changed	text[] := '{}';
	j	jsonb;
BEGIN
	SELECT * INTO c FROM customers WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	j := to_jsonb(c);
	FOREACH f IN ARRAY customer_personal_fields() LOOP
		IF f = 'name' THEN
			IF c.anonymised_at IS NULL THEN
				changed := changed || f;
			END IF;
		ELSIF j -> f <> 'null'::jsonb THEN
			changed := changed || f;
		END IF;
	END LOOP;
	IF c.anonymised_at IS NULL THEN
		UPDATE customers SET name = 'anonymised customer ' || p_id,
		    email = NULL, phone = NULL, billing_street = NULL,
		    billing_postal_code = NULL, billing_city = NULL,
		    shipping_street = NULL, shipping_postal_code = NULL,
		    shipping_city = NULL, vat_id = NULL, external_id = NULL,
		    notes = NULL, anonymised_at = now()
		    WHERE id = p_id;
		UPDATE audit_log SET before = customer_scrub(before),
		    after = customer_scrub(after)
		    WHERE entity = 'customer' AND entity_id = p_id::text;
	END IF;
	RETURN jsonb_build_object('fields', to_jsonb(changed),
	    'newly', c.anonymised_at IS NULL);
END
$$;
