package io.tributary.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks an integration test class that needs the real PostgreSQL of {@link TestPostgres}. Without
 * TRIBUTARY_TEST_PG_URI the class is skipped with the reason on a developer machine, and runs (and fails,
 * naming the variable) under CI=true.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresPostgres.Condition.class)
public @interface RequiresPostgres {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String uri = System.getenv(TestPostgres.VARIABLE);
            if ((uri == null || uri.isBlank()) && !"true".equalsIgnoreCase(System.getenv("CI"))) {
                return ConditionEvaluationResult.disabled(TestPostgres.VARIABLE + " is not set; skipping"
                        + " integration tests against PostgreSQL (set it, or run `make test` after `make stack-up`)");
            }
            return ConditionEvaluationResult.enabled(TestPostgres.VARIABLE + " is set (or CI=true)");
        }
    }
}
