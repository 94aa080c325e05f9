"""Prefect flows and deployments: thin wrappers around the ``opendata`` library.

Importing the package also quiets one Prefect habit: a flow run that ends Failed by returning
a Failed state (a refused delivery: its French reason already logged once) is re-raised by the
engine of a deployment run and logged as "Engine execution exited with unexpected exception"
with a 40-line traceback. That record is dropped when the exception is only that Failed state;
any other exception (a real defect) keeps its traceback. Likewise a task that failed on a full
disk, a read-only or a forbidden folder logs one line, not a traceback: the flow says what to do.
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


logging.getLogger("prefect.flow_runs").addFilter(_FailedStateIsNotACrash())
logging.getLogger("prefect.task_runs").addFilter(_FullDiskIsNotACrash())
