/** Class colours shared by the data plot, the legend and the boundary heatmap. */
export const CLASS_COLORS = ['#f97316', '#2563eb', '#16a34a', '#a855f7', '#e11d48', '#0891b2', '#ca8a04', '#64748b'];
