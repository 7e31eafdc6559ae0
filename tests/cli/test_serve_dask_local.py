"""``openaml serve --dask-local N``: a LocalCluster started with the server runs its jobs' data passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.api import finished
from tests.support.server import LiveServer


@pytest.mark.dask
def test_serve_with_a_local_cluster_ingests_on_it(tmp_path: Path, datasets_dir: Path) -> None:
    live = LiveServer(
        tmp_path / "data",
        env={"OPENAML_DATA_ROOTS": str(datasets_dir)},
        extra_args=("--dask-local", "1"),
    )
    live.start()
    try:
        assert any("dask scheduler : tcp://" in line for line in live.output), live.output
        ml = live.client()
        ml.create_data_source_from_s3(
            DataSourceId="ds-dask-local",
            ComputeStatistics=True,
            DataSpec={
                "DataLocationS3": str(datasets_dir / "penguins.csv"),
                "DataSchema": json.dumps({"targetAttributeName": "species"}),
            },
        )
        got = finished(lambda: ml.get_data_source(DataSourceId="ds-dask-local"))
        assert got["Status"] == "COMPLETED", got.get("Message")
    finally:
        live.stop()
    assert live.process is not None and live.process.returncode is not None
