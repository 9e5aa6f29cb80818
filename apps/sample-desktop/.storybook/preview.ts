// Every story gets the app's stylesheet.
import type { Preview } from '@storybook/react-vite';
import '../src/ui/styles.css';

const preview: Preview = {
  parameters: { layout: 'padded' },
};

export default preview;
