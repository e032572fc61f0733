"""`events.jsonl`: one JSON object per line, appended as the run goes (the event shapes of
src/protocol/events.ts; docs/format.md). The editor's status bar and dashboard tail this file."""
import datetime
import json
import math
import os


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def _clean(value):
    """JSON has no NaN/Infinity: such numbers are left out (optional fields) or become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and not (isinstance(v, float) and not math.isfinite(v))}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventLog:
    """Appends events to `path`; `enabled=False` (ranks other than 0) makes every call a no-op."""

    def __init__(self, path, enabled=True, fresh=True):
        self.path = path
        self.enabled = enabled and path is not None
        if self.enabled:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            if fresh:
                with open(path, 'w', encoding='utf-8'):
                    pass

    def emit(self, event):
        if not self.enabled:
            return
        event = _clean({'time': now(), **event})
        line = json.dumps(event, separators=(',', ':'), allow_nan=False) + '\n'
        # one write of a whole line, flushed: a tail never sees half an event for long
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(line)
            f.flush()
