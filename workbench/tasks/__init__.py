"""Task templates: one module per template, each registered through tasks.registry."""
