"""Reading results: vote sources (runs or votes files), terminal tables, figures, the
HTML report and exports. Every reader goes through `council.store.frames`."""
