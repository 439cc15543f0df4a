"""What users hand Council besides the council file: seed scenarios and frozen item
sets, votes files, and the JSONL and atomic-write helpers they share."""
