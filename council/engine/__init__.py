"""Running a council: the run loop and its lock, worker processes, executing a stage's
units, the budget, the plan, the status and the demo council."""
