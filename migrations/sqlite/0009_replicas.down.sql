DROP TABLE replicas;
DROP TABLE webhook_replays;
DROP TABLE changes;
