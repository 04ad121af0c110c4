DROP TABLE quota_locks;
