"""Late penalties: nbgrader's AssignLatePenalties, on the batch's engine."""

from nbgrader.preprocessors import AssignLatePenalties

from ..shared_gradebook import SharedGradebook


class LatePenalties(AssignLatePenalties):
    """nbgrader's AssignLatePenalties (its plugin, its config section, the same penalty) reading
    and writing the gradebook through ``SharedGradebook``."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.init_plugin()
        self.gradebook = SharedGradebook(self.db_url)
        with self.gradebook:
            assignment = self.gradebook.find_submission(self.assignment_id, self.student_id)
            notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                               self.student_id)
            notebook.late_submission_penalty = None
            if assignment.total_seconds_late > 0:
                self.log.warning("%s is %s seconds late", assignment, assignment.total_seconds_late)
                penalty = self.plugin_inst.late_submission_penalty(self.student_id, notebook.score,
                                                                   assignment.total_seconds_late)
                self.log.warning("Late submission penalty: %s", penalty)
                if penalty is not None:
                    notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
            self.gradebook.db.commit()
        return nb, resources
