// Click handlers whose failure shows where the section reports its errors.

// `act(work)`: a handler that clears the report, runs `work`, and reports its failure.
export const reportedActions = (report) => (work) => async () => {
  report(null);
  try {
    await work();
  } catch (e) {
    report(e);
  }
};
