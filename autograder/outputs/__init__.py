"""Turning a :class:`GradeResult` (or a class's folder of them) into what people and
machines read: the terminal table, results.json, Markdown, JUnit XML, HTML feedback and
the class summary. JSON is read and written only here, at the edges."""
