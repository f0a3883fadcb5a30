"""Runs in and out of other harnesses' formats (lmms-eval), scored by tvbench's own tasks."""
