-- tasks/sync: the snapshot's parts in columns of their own, so that re-sending an unchanged
-- snapshot rewrites a few bytes rather than the whole merged snapshot, and the digest of the
-- last merged upload that tells it is unchanged. `updates` is the version merges compare.
ALTER TABLE tasks RENAME COLUMN data TO conversations;
ALTER TABLE tasks ADD COLUMN sync_timestamp TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN sync_metadata TEXT NOT NULL DEFAULT 'null';
ALTER TABLE tasks ADD COLUMN upload_digest TEXT NOT NULL DEFAULT '';
UPDATE tasks SET
    sync_timestamp = coalesce(conversations ->> '$.timestamp', ''),
    sync_metadata = coalesce(conversations -> '$.metadata', 'null'),
    conversations = coalesce(conversations -> '$.conversations', '[]');
