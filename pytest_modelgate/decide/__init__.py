"""Statistics and decisions, pure: intervals, sequential tests, comparisons with baselines,
threshold and floor outcomes, tiers, multiplicity, and the paragraphs that explain them.
"""
