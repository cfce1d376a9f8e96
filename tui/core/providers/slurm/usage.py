"""Job efficiency from accounting: CPU, memory and GPU, each with the caveats seff leaves out.

CPU efficiency is TotalCPU / (Elapsed x AllocCPUs), as seff computes it; memory is MaxRSS
against the requested memory. Where those figures mislead, a caveat says how:

- a whole-node (`--exclusive`) allocation counts every core of the node, asked for or not, so
  the efficiency is also given against the CPUs the job asked for;
- MaxRSS is sampled (every JobAcctGatherFrequency, 30 s by default): a short peak between two
  samples is missed, and a job shorter than one period may have no sample at all;
- RSS counts shared pages (libraries, /dev/shm, MPI shared memory) again in every process, so
  several ranks sharing memory look bigger than they are;
- MaxRSS is the largest single task's peak, not the job's total: with several tasks the job
  may have used up to (tasks x) that, which seff compares to the whole job's memory.
"""

from __future__ import annotations

from tui.core.models import Usage
from tui.core.providers.slurm.sacct import Accounting
from tui.core.usage import percent

SAMPLED = "MaxRSS is sampled (JobAcctGatherFrequency, 30 s by default): short peaks can be missed"
SHARED = "RSS counts shared memory (libraries, /dev/shm) in every process that maps it"
NO_SAMPLE = "no memory sample: the job ended before the first one"
GPU = "gres/gpuutil is sampled like MaxRSS, as the site's GPU plugin reports it"
ARRIVING = "not yet: the accounting of its steps is still arriving"
RUNNING = "so far: from sstat of the running steps, refreshed every 30 s"


def usage_of(acct: Accounting, *, running: bool = False) -> Usage:
    """The efficiency figures of `acct`, with their caveats."""
    if acct.open_steps and not running:
        return Usage(caveats=(ARRIVING,))
    caveats: list[str] = []
    cpu = None
    if acct.total_cpu is not None and acct.elapsed and acct.alloc_cpus:
        cpu = acct.total_cpu / (acct.elapsed * acct.alloc_cpus)
        if acct.req_cpus and acct.alloc_cpus > acct.req_cpus:
            asked = acct.total_cpu / (acct.elapsed * acct.req_cpus)
            caveats.append(
                f"whole node(s) allocated: {acct.alloc_cpus} CPUs for the {acct.req_cpus} asked "
                f"for; against those {acct.req_cpus}: {percent(asked)}"
            )
    memory = None
    if acct.max_rss is not None and acct.req_mem_mb:
        memory = acct.max_rss / (acct.req_mem_mb * 1024 * 1024)
        caveats += [SAMPLED, SHARED]
        if acct.tasks > 1:
            caveats.append(
                f"MaxRSS is the largest of {acct.tasks} tasks' peaks, not their sum: "
                f"the job as a whole may have used up to {acct.tasks}x that"
            )
    elif acct.req_mem_mb and acct.steps and not running:
        caveats.append(NO_SAMPLE)
    gpu = acct.gpu_util / 100 if acct.gpu_util is not None else None
    if gpu is not None:
        caveats.append(GPU)
    if running and cpu is not None:
        caveats.insert(0, RUNNING)
    return Usage(cpu=cpu, memory=memory, gpu=gpu, caveats=tuple(caveats))


def size(num_bytes: float) -> str:
    """`4.8 MB`, `1.2 GB` (powers of 1024, as Slurm prints them)."""
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def clock(seconds: float) -> str:
    """`1:02:03`, `2:03` (minutes:seconds under an hour), `1-02:03:04` past a day."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def cpu_time(seconds: float) -> str:
    """`0.44 s` under a minute (sacct prints milliseconds), else as `clock`."""
    return f"{seconds:.2f} s" if seconds < 60 else clock(seconds)


def usage_facts(acct: Accounting, usage: Usage) -> dict[str, str]:
    """Label -> text for the job details: each figure with how it was computed."""
    facts: dict[str, str] = {}
    if acct.elapsed is not None:
        facts["Elapsed"] = clock(acct.elapsed)
    if usage.cpu is not None and acct.total_cpu is not None:
        facts["CPU efficiency"] = (
            f"{percent(usage.cpu)} (TotalCPU {cpu_time(acct.total_cpu)} of "
            f"{clock(acct.elapsed or 0)} elapsed x {acct.alloc_cpus} CPUs)"
        )
    elif acct.total_cpu is not None:
        why = "it ran under a second" if acct.elapsed == 0 else "no elapsed time yet"
        facts["CPU time"] = f"{cpu_time(acct.total_cpu)} ({why}: no efficiency)"
    if usage.memory is not None and acct.max_rss is not None and acct.req_mem_mb:
        facts["Memory efficiency"] = (
            f"{percent(usage.memory)} (MaxRSS {size(acct.max_rss)} of "
            f"{size(acct.req_mem_mb * 1024 * 1024)} requested)"
        )
    if usage.gpu is not None:
        gpus = f" over {acct.gpus} GPUs" if acct.gpus else ""
        facts["GPU utilisation"] = f"{percent(usage.gpu)} (mean gres/gpuutil{gpus})"
    if acct.gpu_mem is not None:
        facts["GPU memory peak"] = size(acct.gpu_mem)
    for number, caveat in enumerate(usage.caveats, 1):
        facts[f"Caveat {number}"] = caveat
    return facts
