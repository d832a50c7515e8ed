"""Tasks named by a deck's ``task:`` key (relax, ...), one file each."""
from qcsim.tasks.base import TASKS, Stage, TaskOutcome, TaskSpec, load_tasks, register_task  # noqa: F401
