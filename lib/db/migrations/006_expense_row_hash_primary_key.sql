-- Import cost: the primary key on `id` is an index that every imported row grows by one entry
-- and that no statement reads: expenses are found by organization and
-- range, by cost, or by row hash, and `id` only breaks ties in the orderings of those indexes.
-- The key that identifies an expense is its organization and row hash, which imports already
-- keep unique for idempotency; that index becomes the primary key, under the name the
-- importer knows it by, and `id` stays unique by construction (UUIDv7 from the importer,
-- gen_random_uuid() otherwise). Each imported row writes one WAL record less
-- (docs/benchmarks/expenses.md, "Indexes").
ALTER TABLE expenses DROP CONSTRAINT expenses_pkey;
ALTER TABLE expenses ADD CONSTRAINT expenses_row_hash_key PRIMARY KEY USING INDEX expenses_row_hash_key;
