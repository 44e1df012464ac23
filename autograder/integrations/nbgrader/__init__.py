"""nbgrader: build the student version of an assignment, and export scores to its gradebook."""
