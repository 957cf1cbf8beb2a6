package io.tributary.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Composite foreign keys whose columns carry remapped keys: transfers.(user_id, currency) → accounts.(user_id,
 * currency), where accounts.user_id → users.id is remapped (offset, and Anna's US row folded into EU's); and
 * logins.(user_id, email) → users.(id, email), straight at the remapped key. Each remapped column follows the
 * same offset and key map as the key it holds, so every composite foreign key is valid in the target.
 */
@RequiresPostgres
class CompositeForeignKeysFollowRemappedKeysTest {
    @TempDir
    Path dir;

    private static final String SCHEMA = """
            ALTER TABLE public.users ADD UNIQUE (id, email);
            CREATE TABLE public.accounts (user_id bigint NOT NULL REFERENCES public.users (id), currency text NOT NULL,
                balance numeric(18,2) NOT NULL, PRIMARY KEY (user_id, currency));
            CREATE TABLE public.transfers (id bigint PRIMARY KEY, user_id bigint NOT NULL, currency text NOT NULL,
                amount numeric(18,2) NOT NULL, FOREIGN KEY (user_id, currency) REFERENCES public.accounts);
            CREATE TABLE public.logins (id bigint PRIMARY KEY, user_id bigint NOT NULL, email text NOT NULL,
                FOREIGN KEY (user_id, email) REFERENCES public.users (id, email));
            """;

    @Test
    void everyRemappedColumnOfACompositeForeignKeyFollowsItsKey() {
        try (TwoInstances db = new TwoInstances("composite", dir, """
                defaults: {conflict_strategy: source-wins}
                tables:
                  - match: "*.public.*"
                    conflict_strategy: source-wins
                    source_wins: src_eu
                """)) {
            db.eu.execute(SCHEMA,
                    "INSERT INTO public.accounts VALUES (1, 'EUR', 10), (1, 'USD', 5), (2, 'EUR', 7), (3, 'EUR', 1)",
                    "INSERT INTO public.transfers VALUES (1, 1, 'EUR', 1), (2, 1, 'USD', 2), (3, 2, 'EUR', 3),"
                            + " (4, 3, 'EUR', 4)",
                    "INSERT INTO public.logins VALUES (1, 1, 'anna@x.example'), (2, 2, 'bob@x.example')");
            // US: Anna is user 2 here (folded into EU's user 1); Dora is 1 and Emil 3 (offset to 101 and 103)
            db.us.execute(SCHEMA,
                    "INSERT INTO public.accounts VALUES (1, 'USD', 3), (2, 'USD', 4), (2, 'EUR', 2), (3, 'USD', 9)",
                    "INSERT INTO public.transfers VALUES (1, 1, 'USD', 5), (2, 2, 'USD', 6), (3, 2, 'EUR', 7),"
                            + " (4, 3, 'USD', 8)",
                    "INSERT INTO public.logins VALUES (1, 2, 'anna@x.example'), (2, 1, 'dora@x.example')");
            db.tables.addAll(java.util.List.of("public.accounts", "public.transfers", "public.logins"));
            db.consolidate();

            // Anna's two US accounts became EU user 1's, whose own (1, USD) and (1, EUR) win: 4 + 4 - 2
            assertEquals("1:EUR:src_eu,1:USD:src_eu,2:EUR:src_eu,3:EUR:src_eu,101:USD:src_us,103:USD:src_us",
                    db.target.query("SELECT string_agg(user_id || ':' || currency || ':' || tributary_source, ','"
                            + " ORDER BY user_id, currency) FROM public.accounts"));
            // every transfer kept; US ones follow users' offset and key map in user_id, currency as is
            assertEquals("1:1:EUR,2:1:USD,3:2:EUR,4:3:EUR,101:101:USD,102:1:USD,103:1:EUR,104:103:USD",
                    db.target.query("SELECT string_agg(id || ':' || user_id || ':' || currency, ',' ORDER BY id)"
                            + " FROM public.transfers"));
            assertEquals("1:1:anna@x.example,2:2:bob@x.example,101:1:anna@x.example,102:101:dora@x.example",
                    db.target.query("SELECT string_agg(id || ':' || user_id || ':' || email, ',' ORDER BY id)"
                            + " FROM public.logins"));

            db.addForeignKeys();
            db.target.execute(
                    "ALTER TABLE public.users ADD UNIQUE (id, email)",
                    "ALTER TABLE public.accounts ADD FOREIGN KEY (user_id) REFERENCES public.users (id)",
                    "ALTER TABLE public.transfers ADD FOREIGN KEY (user_id, currency) REFERENCES public.accounts",
                    "ALTER TABLE public.logins ADD FOREIGN KEY (user_id, email) REFERENCES public.users (id, email)");
            assertEquals(0, db.target.count("SELECT count(*) FROM public.transfers t WHERE NOT EXISTS (SELECT 1"
                    + " FROM public.accounts a WHERE a.user_id = t.user_id AND a.currency = t.currency)"));
        }
    }
}
