"""Strategy planner: prioritise use cases on measured evidence, cost and risk; roadmap, risk register, report."""
