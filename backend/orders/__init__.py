"""Orders: every channel into one queue, the lifecycle, editing."""
