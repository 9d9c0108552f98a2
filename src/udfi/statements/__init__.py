"""Supporting statements (statements.pdf) for an account's Form 990-T: summary, Part V statements,
disposition, NOL schedule, tax computation and a chart, every figure tied to the return's lines."""
