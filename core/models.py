from django.db import models

from core.ids import ENTITY_ID_LENGTH, new_entity_id


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EntityModel(BaseModel):
    """A model that is addressed from outside by its random `entity_id`."""

    entity_id = models.CharField(
        max_length=ENTITY_ID_LENGTH, unique=True, default=new_entity_id, editable=False
    )

    class Meta:
        abstract = True
