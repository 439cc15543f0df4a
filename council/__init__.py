"""Council: rank language models on open-ended tasks by consensus of an LLM jury."""

from council.config import load_config
from council.errors import BadInput
from council.run import run, run_async
from council.store.frames import open_run
from council.votes_file import read_votes

__all__ = ["BadInput", "load_config", "open_run", "read_votes", "run", "run_async"]
