"""What a log says before any fitting: per-ticket measures and the busy period (history), the work, sessions
and presence of its people (work, staffing), who jumps ahead in a queue (queue_order)."""
