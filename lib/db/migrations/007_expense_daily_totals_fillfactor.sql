-- Every import after the first adds to daily totals that already exist: one UPDATE per group
-- (ON CONFLICT DO UPDATE), tens of thousands for a large file. With full pages
-- each update put the new row version on another page and added an entry to the six-column
-- key index; with room left on the page it becomes a HOT update (same page, no index entry),
-- and page pruning reclaims the old versions without waiting for vacuum
-- (docs/benchmarks/expenses.md, "Daily totals").
-- Pages written from now on keep the room; existing pages get it as they are rewritten.
ALTER TABLE expense_daily_totals SET (fillfactor = 70);
