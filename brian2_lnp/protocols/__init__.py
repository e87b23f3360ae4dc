"""Protocol machinery: repeats in parallel with resume, options, CSV/PNG output, the demo.

The figure/table protocols themselves are the files in ``protocols/`` (one per
figure or table of the papers); they are found and imported by
:func:`load_protocol`. Brian2 is imported only by the functions that simulate.
"""
from .common import (DEFAULT_OUT, DEVICES, Settings, add_common_arguments, protocol_parser,
                     save_figure, settings_from_args, summarize, write_csv, write_json,
                     write_text)
from .demo import DEMO_DEFAULTS, run_demo
from .registry import ProtocolNotFoundError, find_protocols, load_protocol, protocol_dirs
from .runner import DaskUnavailableError, Task, jsonable, repeat_seed, run_tasks

__all__ = ["Settings", "add_common_arguments", "protocol_parser", "settings_from_args",
           "write_csv", "write_json", "write_text", "save_figure", "summarize", "DEVICES",
           "DEFAULT_OUT",
           "Task", "run_tasks", "repeat_seed", "DaskUnavailableError", "jsonable",
           "find_protocols", "load_protocol", "protocol_dirs", "ProtocolNotFoundError",
           "run_demo", "DEMO_DEFAULTS"]
