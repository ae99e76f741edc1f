"""How packgen runs its work: forked worker processes, the cycle collector, results kept on disk."""
