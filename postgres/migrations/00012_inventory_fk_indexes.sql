-- +goose Up
-- Nothing to do: SQLite's 00012 adds the inventory indexes this schema has
-- had since 00001 (inventory_item, inventory_last_job). The two engines keep
-- the same version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
