import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ContextConsumer } from '@lit/context';
import { controllerContext, type AppController } from '../src/app/app-controller';

/**
 * Gives an element the app's AppController (through @lit/context) and re-renders the element
 * whenever the app state changes.
 */
export class KilnWatch implements ReactiveController {
  private readonly consumer: ContextConsumer<typeof controllerContext, ReactiveControllerHost & HTMLElement>;
  private watched: AppController | null = null;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
    this.consumer = new ContextConsumer(host, {
      context: controllerContext,
      subscribe: true,
      callback: (c) => this.watch(c),
    });
  }

  get app(): AppController | undefined {
    return this.consumer.value;
  }

  private watch(c: AppController | undefined): void {
    if (this.watched === c) return;
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = c ?? null;
    this.watched?.addEventListener('change', this.onChange);
    this.host.requestUpdate();
  }

  hostConnected(): void {
    if (this.consumer.value) this.watch(this.consumer.value);
  }

  hostDisconnected(): void {
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = null;
  }
}
