-- Why legal took a version out of use (or which version superseded it),
-- shown with the version and in the audit log like the review comment.
ALTER TABLE clause_versions ADD COLUMN retire_comment TEXT;
