-- copy: what a copy selected from its source (a hash of the SELECT: columns, key offsets, remapped references,
-- losing duplicates left out), so a re-run after `tributary resolve` decided differently is refused instead of
-- mixing two resolutions in one target table. NULL: copied before fingerprints existed.
ALTER TABLE {s}.table_status ADD COLUMN selection_fingerprint text;
