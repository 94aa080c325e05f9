"""Log filters for flow runs: a refused delivery or a full disk is not a crash.

A flow run that ends Failed by returning a Failed state (a refused delivery: its French reason
already logged once) is re-raised by the engine of a deployment run and logged as "Engine
execution exited with unexpected exception" with a 40-line traceback. That record is dropped
when the exception is only that Failed state; any other exception (a real defect) keeps its
traceback. Likewise a task that failed on a full disk, a read-only or a forbidden folder logs
one line, not a traceback: the flow says what to do. Each flow module calls :func:`install`
(deployments load a flow module by its file path, not through this package).
"""

from __future__ import annotations

import errno
import logging


class _FailedStateIsNotACrash(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.getMessage() != (
            "Engine execution exited with unexpected exception"
        ):
            return True
        from prefect.exceptions import FailedRun

        return not isinstance(record.exc_info[1], FailedRun)


_ENVIRONMENT = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


class _FullDiskIsNotACrash(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OSError) and error.errno in _ENVIRONMENT:
            record.msg = f"{record.getMessage()} ({error})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


_FILTERS = {
    "prefect.flow_runs": _FailedStateIsNotACrash(),
    "prefect.task_runs": _FullDiskIsNotACrash(),
}


def install() -> None:
    """Add the filters to Prefect's run loggers (once)."""
    for name, found in _FILTERS.items():
        logger = logging.getLogger(name)
        if found not in logger.filters:
            logger.addFilter(found)
