"""The kit's bridges to other tools: nbgrader (release, gradebook) and Gradescope."""
