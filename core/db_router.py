from django.conf import settings


class ReplicaRouter:
    """Reads marked for the replica go there; everything else uses the primary.

    Only code that can tolerate replication lag (public badge pages and documents)
    asks for the replica explicitly with `.using(replica_alias())`; the router keeps
    writes and migrations on the primary.
    """

    def db_for_read(self, model, **hints):
        return None  # default: primary, unless a queryset says otherwise

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def replica_alias() -> str:
    return "replica" if "replica" in settings.DATABASES else "default"
