"""python -m digitlab ...: thin faces over the core. main.py holds the parser and the train,
evaluate, predict and models commands; sweep.py the sweep command; runs.py the run history."""
from digitlab.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
