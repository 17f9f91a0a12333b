"""Metadata checking: nbgrader's CheckCellMetadata, each distinct cell metadata checked once."""

import json

from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata


class RememberingValidator(MetadataValidator):
    """nbgrader's metadata validator that skips a cell whose type and nbgrader metadata already
    passed in this process. Its JSON-schema check first validates the schema itself, for every
    cell (8 ms a notebook), and the notebooks of one lesson share nearly all cell metadata. A
    failing cell is checked again each time, so its error names the cell at hand; the check for
    duplicate grade ids is notebook-wide and always runs."""

    passed = set()  # (cell type, nbgrader metadata as JSON), shared by every instance

    def validate_cell(self, cell):
        key = (cell.get("cell_type"),
               json.dumps(cell.get("metadata", {}).get("nbgrader"), sort_keys=True))
        if key not in self.passed:
            super().validate_cell(cell)
            self.passed.add(key)


class CheckMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata (same checks, same error) with ``RememberingValidator``."""

    def preprocess(self, nb, resources):
        try:
            RememberingValidator().validate_nb(nb)
        except ValidationError as err:
            self.log.error("%s", err)
            raise ValidationError("Notebook failed to validate; "
                                  "the nbgrader metadata may be corrupted.") from err
        return nb, resources
