// The notebook layer: what notebooks display (tables, Plotly charts, Jupyter outputs) and
// reading/writing `.ipynb` files, a notebook's summary JSON.
export * from "./display.ts";
export * from "./ipynb.ts";
export * from "./jupyter_outputs.ts";
export * from "./plotly_server.ts";
export * from "./summary.ts";
