from pathwise_assessment.models import Base
from pathwise_shared.db.migrations import run_env

run_env(Base.metadata)
