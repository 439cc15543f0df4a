"""Council: rank language models on open-ended tasks by consensus of an LLM jury."""

from council.errors import BadInput
from council.votes_file import read_votes

__all__ = ["BadInput", "read_votes"]
