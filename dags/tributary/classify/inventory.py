"""classify_inventory: one decision per table of a discovery inventory (docs/inventory-format.md)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from tributary import names

from .features import InstanceContext, describe_table
from .model import DEFAULT_MIN_CONFIDENCE, load_classifier, settle

OVERRIDE_REASON = "override in migration.yaml"


def matching_override(qualified_name: str, overrides: dict[str, str] | None) -> tuple[str, str] | None:
    """(pattern, class) of the most specific matching glob: fewest wildcards, then longest pattern."""
    matches = [(pattern, cls) for pattern, cls in (overrides or {}).items() if fnmatchcase(qualified_name, pattern)]
    if not matches:
        return None
    return min(matches, key=lambda m: (sum(m[0].count(ch) for ch in "*?["), -len(m[0]), m[0]))


def classify_inventory(inventory: dict, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                       overrides: dict[str, str] | None = None) -> list[dict]:
    """Per table: instance, schema, table, class, confidence, reasons, flagged_for_review, source,
    model_class (the model's own best guess, also when an override or the threshold changed it)
    and probabilities (per class)."""
    classifier = load_classifier()
    context = InstanceContext.of(inventory)
    results = []
    for table in inventory.get("tables", []):
        features, facts = describe_table(table, context)
        decision = classifier.decide(features, facts)
        # matched like every other glob of migration.yaml: against the name as names.qualified writes it
        qualified = names.qualified(context.instance, table["schema"], table["name"])
        result = {
            "instance": context.instance, "schema": table["schema"], "table": table["name"],
            "class": decision.label, "confidence": decision.confidence, "reasons": list(decision.reasons),
            "flagged_for_review": False, "source": "model", "model_class": decision.label,
            "probabilities": decision.probabilities,
        }
        override = matching_override(qualified, overrides)
        if override:
            pattern, forced = override
            result.update({"class": forced, "source": "override", "confidence": 1.0,
                           "reasons": [f"{OVERRIDE_REASON} ({pattern} -> {forced}); the model said "
                                       f"{decision.label} at {decision.confidence:.0%}"] + decision.reasons})
        else:
            klass, flagged, why = settle(decision, min_confidence)
            if flagged:
                # Parked as unknown for a person: nothing irreversible happens to it before someone decides.
                result.update({"class": klass, "flagged_for_review": True, "reasons": [why] + decision.reasons})
        results.append(result)
    return results
