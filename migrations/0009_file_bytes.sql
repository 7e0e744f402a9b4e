-- GET /admin/stats `file_bytes`: the bytes the workspace keeps in R2, counted by triggers like the
-- other stat counters (0006_admin.sql). A file's bytes are stored from `complete` on (scanning,
-- clean, quarantined or scan_failed) until its row is deleted; an upload not completed counts
-- nothing, since it may never arrive.
INSERT INTO stat_counters (name, value)
  SELECT 'file_bytes', coalesce(sum(size), 0) FROM files WHERE status <> 'uploading'
  ON CONFLICT (name) DO UPDATE SET value = excluded.value;
--> statement-breakpoint
CREATE TRIGGER `stat_files_insert` AFTER INSERT ON `files` WHEN NEW.status <> 'uploading'
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('file_bytes', NEW.size) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_files_update` AFTER UPDATE OF `status`, `size` ON `files`
  WHEN (NEW.status <> 'uploading') * NEW.size <> (OLD.status <> 'uploading') * OLD.size
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('file_bytes', (NEW.status <> 'uploading') * NEW.size - (OLD.status <> 'uploading') * OLD.size)
    ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_files_delete` AFTER DELETE ON `files` WHEN OLD.status <> 'uploading'
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('file_bytes', -OLD.size) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
