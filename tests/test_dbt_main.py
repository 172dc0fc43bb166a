"""dbt's log lines with orchestration/dbt_main.py's change to its loggers
(`written_lines_only`) are dbt's own: every level of event, a print event, to loggers of
every level and of each format (JSON as on a run's stdout, text as in its file log, dbt's
debug text), written the patched way and dbt's way, give the same lines."""

from __future__ import annotations

import io
import re

import pytest
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.logger import LineFormat, LoggerConfig, _JsonLogger, _Logger, _TextLogger
from dbt_common.events.types import Note, PrintEvent
from orchestration.dbt_main import written_lines_only

# dbt's own write_line, also when this process applied the change already.
DBT_WRITE_LINE = getattr(_Logger.write_line, "__wrapped__", _Logger.write_line)
LEVELS = [EventLevel.DEBUG, EventLevel.TEST, EventLevel.INFO, EventLevel.WARN, EventLevel.ERROR]


def _messages():
    for level in LEVELS:
        yield msg_from_base_event(Note(msg=f"a note at {level.value}"), level=level)
    yield msg_from_base_event(PrintEvent(msg="printed whatever the level"))


def _logger(line_format: LineFormat, level: EventLevel, stream: io.StringIO, name: str):
    config = LoggerConfig(name=name, line_format=line_format, level=level, output_stream=stream)
    return (_JsonLogger if line_format == LineFormat.Json else _TextLogger)(config)


@pytest.mark.parametrize("line_format", list(LineFormat), ids=lambda f: f.name)
@pytest.mark.parametrize("level", LEVELS, ids=lambda level: level.value)
def test_log_lines_are_dbts(line_format: LineFormat, level: EventLevel) -> None:
    patched = written_lines_only(DBT_WRITE_LINE)
    written = {}
    for way, write_line in (("dbt", DBT_WRITE_LINE), ("patched", patched)):
        stream = io.StringIO()
        logger = _logger(line_format, level, stream, f"ledgerlens-test-{way}")
        for msg in _messages():
            write_line(logger, msg)
        # Text lines start with the time they were formatted: the same message, a second
        # apart, would differ there.
        written[way] = re.sub(r"\d\d:\d\d:\d\d(\.\d+)?", "T", stream.getvalue())
    assert written["patched"] == written["dbt"]
    # By hand: the print event always, and the notes at the logger's level and above
    # (test is debug's number in dbt's map).
    order = {"debug": 0, "test": 0, "info": 1, "warn": 2, "error": 3}
    expected = 1 + sum(order[lv.value] >= order[level.value] for lv in LEVELS)
    assert len(written["dbt"].splitlines()) == expected


def test_a_logger_without_output_writes_nothing() -> None:
    logger = _TextLogger(LoggerConfig(name="ledgerlens-test-none", level=EventLevel.DEBUG))
    assert logger._python_logger is None
    for msg in _messages():
        written_lines_only(DBT_WRITE_LINE)(logger, msg)  # nothing to write to, no error
