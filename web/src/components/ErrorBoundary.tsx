import { Component, type ComponentChildren } from "preact";

/** A view that throws shows what happened and a way out, instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };

  override componentDidCatch(error: unknown) {
    this.setState({ error: error instanceof Error ? error : new Error(String(error)) });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div class="empty-main" role="alert">
        <h2>Something went wrong here</h2>
        <p class="muted">{this.state.error.message}</p>
        <button
          type="button"
          class="primary"
          onClick={() => {
            this.setState({ error: null });
            location.hash = "#/";
          }}
        >
          Back to the start
        </button>
      </div>
    );
  }
}
