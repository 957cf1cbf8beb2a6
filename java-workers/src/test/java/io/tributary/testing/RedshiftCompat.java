package io.tributary.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Redshift's documented behaviour, on PostgreSQL: the functions and types the Redshift SQL of a load and its
 * checksum use, made to behave as the Amazon Redshift Database Developer Guide says Redshift does, not as
 * PostgreSQL does, so that running that SQL here fails on the same mismatches a cluster would.
 *
 * <ul>
 *   <li>{@code STRTOL(text, 16)}: hex to BIGINT (r_STRTOL).</li>
 *   <li>{@code MD5(text)}: errors past 65,535 bytes, Redshift's VARCHAR limit
 *       (docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html); PostgreSQL would hash any length.</li>
 *   <li>{@code TO_HEX(bytea)}: lowercase hex as VARCHAR, so an error past 65,535 bytes of hex (r_TO_HEX).</li>
 *   <li>{@code JSON_PARSE(text)} / {@code JSON_SERIALIZE(super)}: SUPER is jsonb here; serialised compact
 *       ({@code [10001,10002,"abc"]}, no blanks) and an error past the VARCHAR limit
 *       (docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html).</li>
 *   <li>REAL / DOUBLE PRECISION columns: types whose cast to VARCHAR prints C's {@code %.8g} / {@code %.17g}, as
 *       Redshift does under extra_float_digits = 2, FLT_DIG/DBL_DIG + 2 digits
 *       (docs.aws.amazon.com/redshift/latest/dg/r_extra_float_digits.html); PostgreSQL 12+ prints shortest-exact.</li>
 *   <li>VARCHAR keeps trailing blanks (r_Character_types, "Significance of trailing blanks"): PostgreSQL's
 *       varchar does too, so staged text lands as it was written.</li>
 * </ul>
 *
 * <p>The functions live in {@code public}; {@link #connect} puts {@code public} before {@code pg_catalog} in the
 * search_path so that {@code MD5} is Redshift's, not PostgreSQL's.
 */
public final class RedshiftCompat {
    /** Redshift's widest VARCHAR, in bytes. */
    public static final int VARCHAR_MAX_BYTES = 65535;

    private RedshiftCompat() {
    }

    public static void install(ScratchDatabase db) {
        db.execute(
                "CREATE FUNCTION public.strtol(text, integer) RETURNS bigint IMMUTABLE STRICT LANGUAGE sql AS"
                        + " $$ SELECT CASE WHEN $2 = 16 THEN ('x' || lpad($1, 16, '0'))::bit(64)::bigint END $$",
                "CREATE FUNCTION public.md5(text) RETURNS text IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF octet_length($1) > " + VARCHAR_MAX_BYTES + " THEN RAISE EXCEPTION"
                        + " 'Redshift: a VARCHAR holds at most 65535 bytes, this expression is %', octet_length($1);"
                        + " END IF; RETURN pg_catalog.md5($1); END $$",
                "CREATE FUNCTION public.to_hex(bytea) RETURNS text IMMUTABLE STRICT LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF 2 * octet_length($1) > " + VARCHAR_MAX_BYTES + " THEN RAISE EXCEPTION"
                        + " 'Redshift: TO_HEX returns a VARCHAR, at most 65535 bytes; this one is %',"
                        + " 2 * octet_length($1); END IF; RETURN encode($1, 'hex'); END $$",
                "CREATE FUNCTION public.json_parse(text) RETURNS jsonb IMMUTABLE STRICT LANGUAGE sql AS"
                        + " $$ SELECT $1::jsonb $$",
                // Compact, in the value's own key order; 'null' for NULL (JSON_SERIALIZE's note).
                "CREATE FUNCTION public.json_compact(j jsonb) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT CASE"
                        + " WHEN j IS NULL THEN 'null'"
                        + " WHEN jsonb_typeof(j) = 'object' THEN '{' || coalesce((SELECT string_agg(to_jsonb(e.k)::text"
                        + " || ':' || public.json_compact(e.v), ',' ORDER BY e.n) FROM jsonb_each(j) WITH ORDINALITY"
                        + " AS e(k, v, n)), '') || '}'"
                        + " WHEN jsonb_typeof(j) = 'array' THEN '[' || coalesce((SELECT string_agg("
                        + "public.json_compact(e.v), ',' ORDER BY e.n) FROM jsonb_array_elements(j) WITH ORDINALITY"
                        + " AS e(v, n)), '') || ']'"
                        + " ELSE j::text END $$",
                "CREATE FUNCTION public.json_serialize(jsonb) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$"
                        + " DECLARE out text := public.json_compact($1); BEGIN"
                        + " IF octet_length(out) > " + VARCHAR_MAX_BYTES + " THEN RAISE EXCEPTION"
                        + " 'Redshift: JSON_SERIALIZE output exceeds the VARCHAR limit (% bytes)', octet_length(out);"
                        + " END IF; RETURN out; END $$",
                // C's %.<p>g of x, from to_char's EEEE form (C's %.<p-1>e), written as printf documents %g.
                "CREATE FUNCTION public.c_printf_g(x double precision, p integer) RETURNS text IMMUTABLE STRICT"
                        + " LANGUAGE plpgsql AS $$ DECLARE s text; neg boolean; digits text; e integer; frac text;"
                        + " BEGIN"
                        + " IF x = 'NaN' THEN RETURN 'NaN'; END IF;"
                        + " IF x = 'Infinity' THEN RETURN 'Infinity'; END IF;"
                        + " IF x = '-Infinity' THEN RETURN '-Infinity'; END IF;"
                        + " IF x = 0 THEN RETURN CASE WHEN x::text = '-0' THEN '-0' ELSE '0' END; END IF;"
                        + " s := btrim(to_char(x, '9.' || repeat('9', p - 1) || 'EEEE'));"
                        + " neg := left(s, 1) = '-'; IF neg THEN s := substr(s, 2); END IF;"
                        + " digits := replace(split_part(s, 'e', 1), '.', ''); e := split_part(s, 'e', 2)::integer;"
                        + " IF e < -4 OR e >= p THEN"
                        + "   frac := rtrim(substr(digits, 2), '0');"
                        + "   s := left(digits, 1) || CASE WHEN frac = '' THEN '' ELSE '.' || frac END || 'e'"
                        + "     || CASE WHEN e < 0 THEN '-' ELSE '+' END || CASE WHEN abs(e) < 10 THEN '0' ELSE '' END"
                        + "     || abs(e)::text;"
                        + " ELSIF e >= 0 THEN"
                        + "   frac := rtrim(substr(digits, e + 2), '0');"
                        + "   s := left(digits, e + 1) || CASE WHEN frac = '' THEN '' ELSE '.' || frac END;"
                        + " ELSE s := '0.' || repeat('0', -e - 1) || rtrim(digits, '0');"
                        + " END IF;"
                        + " RETURN CASE WHEN neg THEN '-' ELSE '' END || s; END $$",
                "CREATE TYPE public.rs_double AS (v double precision)",
                "CREATE TYPE public.rs_real AS (v real)",
                "CREATE FUNCTION public.rs_double(double precision) RETURNS public.rs_double IMMUTABLE STRICT"
                        + " LANGUAGE sql AS $$ SELECT ROW($1)::public.rs_double $$",
                "CREATE FUNCTION public.rs_real(real) RETURNS public.rs_real IMMUTABLE STRICT"
                        + " LANGUAGE sql AS $$ SELECT ROW($1)::public.rs_real $$",
                "CREATE CAST (double precision AS public.rs_double) WITH FUNCTION public.rs_double(double precision)"
                        + " AS ASSIGNMENT",
                "CREATE CAST (real AS public.rs_real) WITH FUNCTION public.rs_real(real) AS ASSIGNMENT",
                "CREATE FUNCTION public.rs_double_varchar(public.rs_double) RETURNS varchar IMMUTABLE STRICT"
                        + " LANGUAGE sql AS $$ SELECT public.c_printf_g(($1).v, 17) $$",
                "CREATE FUNCTION public.rs_real_varchar(public.rs_real) RETURNS varchar IMMUTABLE STRICT"
                        + " LANGUAGE sql AS $$ SELECT public.c_printf_g(($1).v, 8) $$",
                "CREATE CAST (public.rs_double AS varchar) WITH FUNCTION public.rs_double_varchar(public.rs_double)",
                "CREATE CAST (public.rs_real AS varchar) WITH FUNCTION public.rs_real_varchar(public.rs_real)");
    }

    /** A connection that runs Redshift SQL: the compat functions first in the search_path, sessions in UTC. */
    public static Connection connect(ScratchDatabase db) throws SQLException {
        Connection c = db.connect();
        try (Statement st = c.createStatement()) {
            st.execute("SET search_path = public, pg_catalog");
            st.execute("SET TimeZone = 'UTC'");
        }
        return c;
    }

    /** A Redshift column type (DDL) as the compat table's column type. */
    public static String columnType(String redshiftType) {
        String t = redshiftType.toUpperCase(Locale.ROOT);
        if (t.equals("DOUBLE PRECISION")) {
            return "public.rs_double";
        }
        if (t.equals("REAL")) {
            return "public.rs_real";
        }
        if (t.startsWith("VARBYTE")) {
            return "bytea";
        }
        if (t.equals("SUPER")) {
            return "jsonb";
        }
        return redshiftType;
    }
}
