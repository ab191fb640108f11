"""Migration operations the schema editor has no word for."""

from django.db import migrations


class DropPatternIndex(migrations.operations.base.Operation):
    """Drop the second index PostgreSQL's schema editor makes for every unique or
    indexed text column (`<table>_<column>_<hash>_like`, `varchar_pattern_ops`), which
    only a `LIKE 'prefix%'` query uses, on a column no query searches by prefix: each
    one costs every insert an index entry (a random page each for random keys such as
    the public ids) and the table its size again. Reversed, it is made again as Django
    makes it. Nothing elsewhere than on PostgreSQL, and no change to the model's state.
    A later `AlterField` of the column makes it again; drop it again after one."""

    reversible = True

    def __init__(self, model_name: str, name: str):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def _field(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        return model, model._meta.get_field(self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, field = self._field(app_label, to_state)
        name = schema_editor._create_index_name(model._meta.db_table, [field.column], "_like")
        schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, field = self._field(app_label, to_state)
        statement = schema_editor._create_like_index_sql(model, field)
        if statement is not None:
            schema_editor.execute(statement)

    def describe(self):
        return f"Drop the LIKE index of {self.model_name}.{self.name}"

    @property
    def migration_name_fragment(self):
        return f"drop_{self.model_name}_{self.name}_like"
