"""Jobs: creating them, running them in batches, progress, export, and the background worker."""
